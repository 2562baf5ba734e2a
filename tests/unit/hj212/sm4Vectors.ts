/**
 * HJ 212-2025 appendix A.2, its two encrypted examples: key "16 个 0x30" (sixteen ASCII '0'), the
 * plaintext frames and the ciphertext as the standard prints it (`{0xE4,0x3E,…}`), taken from the
 * test vectors Daidai52640/cems-data-pipeline extracted from the standard's PDF
 * (tests/protocol/hj212/test_vectors.json). Our SM4 and CRC reproduce every byte of them (the tests
 * check it); nothing here is trusted without that.
 */
export const A2_KEY = '0000000000000000';

/** Example 1/2: a 208-byte CP content, 13 whole blocks, no plain tail. */
export const A2_EX2_PLAIN =
  '##0295QN=20240520210700000;ST=31;CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&DataTime=20240520210600;a01011-Min=1.35,a01011-Avg=1.35,a01011-Max=1.35,a01011-Flag=N;a01012-Min=9.3,a01012-Avg=9.3,a01012-Max=9.3,a01012-Flag=N;a01014-Min=3.20,a01014-Avg=3.211,a01014-Max=3.212,a01014-Flag=N&&2200\r\n';
export const A2_EX2_CIPHER_HEX =
  'E43E159ACFAB242CB53155FB8B9281A1A242577ABFAED881BE88B72D69FC55ED1A80119FAAC8B3CD33D285CC76F57F2CA7F88B9573C6647E0F07E24609BD6B63EB20C5B9784F28E71D2F4994FF61D9E1C2B3075592B4D1E09C4D8BB27BE97B559E3DA6643781A6F477769DEEB009B10DFFF3426922725D607DC4480F0CAC5F70DB2587B124BCB281592721D6E4BC180A97E5E111499CBE822E31C8D7761553543AA24207C290997BBDE64F9266BC5F529A172E381C1D898CA1A0D771A914A7B2D7467C70B94F1D4A7B0350A48DBF8B41';

/** Example 3/4: a 147-byte CP content, 9 whole blocks and the plain tail `g=N`. */
export const A2_EX4_PLAIN =
  '##0234QN=20240520210700000;ST=31;CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&DataTime=20240520210600;a01011-Min=1.35,a01011-Avg=1.35,a01011-Max=1.35,a01011-Flag=N;a01014-Min=3.20,a01014-Avg=3.20,a01014-Max=3.20,a01014-Flag=N&&B541\r\n';
export const A2_EX4_CIPHER_HEX =
  'E43E159ACFAB242CB53155FB8B9281A1A242577ABFAED881BE88B72D69FC55ED1A80119FAAC8B3CD33D285CC76F57F2CA7F88B9573C6647E0F07E24609BD6B63EB20C5B9784F28E71D2F4994FF61D9E13B391A1D2A454B65388D5D9435DBF021528C7BF9755EF16518710C0CAC0ADEF9C5156CD0A5A17674AC0ED2ABC40023E9EF70128554B82438E91ADCE98A0D03A4';

/** `{0xE4,0x3E,…}` of a hex string, as the standard prints ciphertext. */
export function braces(hex: string): string {
  return `{${(hex.match(/../g) ?? []).map((b) => `0x${b}`).join(',')}}`;
}

/**
 * The encrypted frames exactly as appendix A.2 prints them: the plaintext's length field (0295,
 * 0234) and CRC (2200, B541), the CP content written `{0x..}` then the plain tail.
 */
export const A2_EX2_PRINTED = A2_EX2_PLAIN.replace(/CP=&&.*&&/, `CP=&&${braces(A2_EX2_CIPHER_HEX)}&&`);
export const A2_EX4_PRINTED = A2_EX4_PLAIN.replace(/CP=&&.*&&/, `CP=&&${braces(A2_EX4_CIPHER_HEX)}g=N&&`);
