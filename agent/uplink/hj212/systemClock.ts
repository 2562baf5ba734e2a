/** `applyTimeSet: true`: sets the system clock to a platform's 1012 (needs the right to, e.g. CAP_SYS_TIME). */
export async function setSystemClock(ms: number): Promise<void> {
  const { execFile } = await import('node:child_process');
  await new Promise<void>((resolve, reject) =>
    execFile('date', ['-u', '-s', `@${Math.round(ms / 1000)}`], (err) => (err ? reject(err) : resolve())),
  );
}
