/**
 * The data formats HJ 212-2017 gives factor codes (附录 B, 缺省数据类型): `N5.1` = a number with at most
 * 5 digits before the point and 1 after. Only the factors stations here commonly send are listed;
 * turbidity (w01003) and ozone (a05024) are not in the 2017 table and have none. Taken from the
 * standard's appendix as public HJ 212 implementations reproduce it; a platform that wants something
 * else gets it from the channel's `decimals`.
 *
 * The decimals are applied to concentration-like fields (Rtd, Min, Avg, Max); the integer width is
 * not enforced: a value larger than the format allows is sent whole, never clipped. See docs/values.md.
 */

export interface FieldFormat {
  /** Most digits before the decimal point. */
  integerDigits: number;
  /** Digits after the decimal point. */
  decimals: number;
}

const FORMATS: Record<string, string> = {
  // Water (表 B.1)
  w00000: 'N5.2', // wastewater flow
  w01001: 'N2.2', // pH
  w01009: 'N3.1', // dissolved oxygen
  w01010: 'N3.1', // water temperature
  w01014: 'N3.1', // conductivity
  w01018: 'N5.1', // COD
  w01019: 'N3.1', // permanganate index
  w01020: 'N3.1', // TOC
  w21001: 'N4.2', // total nitrogen
  w21003: 'N4.2', // ammonia nitrogen
  w21011: 'N3.2', // total phosphorus
  // Air (表 B.2)
  a00000: 'N6.1', // flue-gas flow
  a01001: 'N3.1', // air temperature
  a01002: 'N3.1', // humidity
  a01006: 'N5.3', // pressure
  a01007: 'N4.1', // wind speed
  a01008: 'N4', // wind direction
  a01011: 'N5.2', // flue-gas velocity
  a01012: 'N3.1', // flue-gas temperature
  a01013: 'N5.3', // flue-gas pressure
  a01014: 'N3.1', // flue-gas humidity
  a19001: 'N3.1', // oxygen
  a21002: 'N5.1', // NOx
  a21003: 'N4.1', // NO
  a21004: 'N4.1', // NO2
  a21005: 'N3.3', // CO
  a21026: 'N5.2', // SO2
  a34002: 'N3.3', // PM10
  a34004: 'N3.3', // PM2.5
  a34013: 'N4', // smoke dust
};

const FORMAT_TEXT = /^N(\d+)(?:\.(\d+))?$/;

/** `N4.2` → { integerDigits: 4, decimals: 2 }; `N4` → decimals 0. */
export function parseFieldFormat(text: string): FieldFormat | undefined {
  const m = FORMAT_TEXT.exec(text);
  if (!m) return undefined;
  return { integerDigits: Number(m[1]), decimals: Number(m[2] ?? 0) };
}

/** The standard's format of a factor code, when the table gives one. */
export function factorFormat(code: string): FieldFormat | undefined {
  const text = FORMATS[code];
  return text === undefined ? undefined : parseFieldFormat(text);
}

/**
 * The decimals a channel's value is presented with: its own `decimals`, else its factor code's format,
 * else null (the value as measured). One rule for HJ 212 text, the status page and `station-agent status`.
 */
export function channelDecimals(channel: {
  decimals?: number | undefined;
  code?: string | undefined;
}): number | null {
  if (channel.decimals !== undefined) return channel.decimals;
  if (channel.code === undefined) return null;
  return factorFormat(channel.code)?.decimals ?? null;
}
