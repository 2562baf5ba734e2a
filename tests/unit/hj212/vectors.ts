import { hj212Crc } from '../../../drivers/hj212/crc.js';
import { wrapFrame } from '../../../drivers/hj212/frame.js';

/**
 * Test vectors. The two STANDARD_* frames are the check vectors printed in the HJ 212-2017 and -2025
 * texts (see ../shared/domain/hj212.md). All others were computed from the standard's CRC routine by
 * an independent implementation, never copied from public examples (many carry stale CRCs).
 */
export const STANDARD_2017 =
  '##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n';
export const STANDARD_2025 =
  '##0087QN=20240601085857223;ST=32;CN=1011;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&&&2200\r\n';

/** 127 characters, 135 UTF-8 bytes: the length field counts bytes. */
export const CHINESE_SEGMENT =
  'QN=20240601120000000;ST=32;CN=3020;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&DataTime=20240601120000;i11001-Info=设备正常&&';
export const CHINESE_FRAME = `##0135${CHINESE_SEGMENT}EE01\r\n`;

/** Its CRC A3C1 has letters, so the lowercase form a3c1 differs. */
export const REALTIME_SEGMENT =
  'QN=20240601120000001;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20240601120000;w01018-Rtd=25.5,w01018-Flag=N&&';
export const REALTIME_FRAME = `##0140${REALTIME_SEGMENT}A3C1\r\n`;

export const MN = '010000A8900016F000169DC0';

export function bytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Frames any segment with a correct length and CRC, to test what the parser makes of its content. */
export function frameOf(segment: string | Buffer): Buffer {
  const b = typeof segment === 'string' ? bytes(segment) : segment;
  return wrapFrame(b, hj212Crc(b));
}
