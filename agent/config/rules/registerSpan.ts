/**
 * A value of several registers must fit below the end of the Modbus address space: a float32 at
 * 65535 would need 65535–65536, and 65536 does not exist (the PDU address is 16 bits). Without this
 * check the file loads and the device fails at every poll with an error that names no setting.
 */

/** The last register address a Modbus PDU can name. */
export const LAST_MODBUS_ADDRESS = 65_535;

/**
 * Why `words` registers from `address` do not fit, or undefined when they do. An address that is
 * itself past the end has its own problem (the schema's bounds) and is not repeated here.
 */
export function registerSpanProblem(address: number, words: number, what: string): string | undefined {
  const last = address + words - 1;
  if (last <= LAST_MODBUS_ADDRESS || address > LAST_MODBUS_ADDRESS) return undefined;
  return (
    `${what} takes ${words} registers: at address ${address} it needs ${address}–${last}, past the last ` +
    `Modbus address ${LAST_MODBUS_ADDRESS}; expected an address of at most ${LAST_MODBUS_ADDRESS - words + 1}`
  );
}
