import { closestMatches, didYouMean } from '../config/configErrors.js';

/**
 * "did you mean" for ids typed on the command line (`read -d sond`, `export --channel sonde/cnd`),
 * with the same matching and wording as `validate` (configErrors.ts): a hint line under the
 * message, `  hint: did you mean "sonde"?`, only when a close match exists.
 */

/** The message, then the hint line when one of `known` is close to `typed`. */
export function withIdHint(message: string, typed: string, known: readonly string[]): string {
  const hint = didYouMean(suggestIds(typed, known));
  return hint === undefined ? message : `${message}\n  hint: ${hint}`;
}

/**
 * Close matches of `typed` among `known`. Ids of the form device/channel are also matched part by
 * part, so a channel given without its device (`cod`) or with only the device mistyped (`sond/ph`)
 * still finds `nutrient/cod` or `sonde/ph`.
 */
export function suggestIds(typed: string, known: readonly string[]): string[] {
  const whole = closestMatches(typed, known);
  if (whole.length > 0 || !known.some((k) => k.includes('/'))) return whole;
  const slash = typed.indexOf('/');
  if (slash < 0) {
    // Only the channel was given: every device's channel of that name (or a close one).
    const channels = known.map((k) => k.slice(k.indexOf('/') + 1));
    const near = new Set(closestMatches(typed, channels).concat(channels.filter((c) => c === typed)));
    return known.filter((k) => near.has(k.slice(k.indexOf('/') + 1)));
  }
  const device = typed.slice(0, slash);
  const channel = typed.slice(slash + 1);
  return known.filter((k) => {
    const [d = '', c = ''] = [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)];
    return (
      (d === device && closestMatches(channel, [c]).length > 0) ||
      (c === channel && closestMatches(device, [d]).length > 0)
    );
  });
}
