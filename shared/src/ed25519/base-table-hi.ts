/**
 * Odd multiples of 2^128·B, [1·2^128]B, [3·2^128]B, ..., [15·2^128]B, in the same affine niels
 * form and literal format as base-table.ts. With half-size scalars (half-scalars.ts) the B
 * scalar e = d·S mod L keeps its full 253 bits; it is split as e = e0 + 2^128·e1 so that both
 * halves ride on the same ~128 doublings as the other two scalars. The high half uses wNAF
 * width 5 (8 entries): width 6 would save ~3 additions for ~200 more Espruino variables, and the
 * 8,190-variable build needs them. Generated once from the
 * BigInt reference; tests/shared/ed25519/base-table.test.ts re-derives every digit.
 */
import { decodeBaseTable, forgetBaseLoTable } from './base-table';

/** wNAF width of the high half e1: digits are odd and below 2^(BASE_HI_WNAF - 1). */
export const BASE_HI_WNAF = 5;
export const BASE_HI_ENTRIES = 1 << (BASE_HI_WNAF - 2);

/** A function, so the literal is garbage once decoded. */
export function baseHiTableLiteral(): string[] {
  return [
    '58ea23facb03b05688460148c3743fddb2a8810c6583b2a2b26b3bcc9e5982b545be47e2eb473a7520b86c8ebe6a385a99f8c5747be531d100ce27d569e718130549cfe526ae098155d0b878b499bab4e0a3c7979c7e20013da142dd75e2d884469',
    '6cdf63f71135a65a93c50462ccce542b9b1550b4bd057f036405b48b724286af9f3e682b8de10ed0f6a5f7377e836fa182543e01615b0cb6f05ff41ea9c4a85776ea888c509ca200209733b4b566036109fd3bc333a36230f83e4aec2a5bb18701f',
    '9beee555db5ee9cbfb99f0a7243ab3f91ca9c68d0f1bf5e44b4fd3dc41928366df20ad0ffb53bad58d0f03dbf901917bbfefe35549315258d487337c84eb48221148c14c3f2c63c17ec3ba4b5855a2703972fe8a8002f0ec4ccc4593224e6c84168',
    'f0eb809497390e3c0a3e2acf47bcc3f9b995ed78d4fff36213a6907be54f81f6a4619b505bacaf6d0480bcb2a65fc9f5c42e6be957a503b43d5f7d5fba4c6808fcf34ea19d308a4c2dcd66e31164085ba954177598b3e2451e23eb9012d01184f30',
    'fc8cb770e3fc27f7a7949b972f2aa1b36c9070bd292c8f367ed83b0210aa83bc742c785b45e7cbc687a3ba806ee6ab485e2dc11d1a0c99802a56bd0aede2b83fd8baecb02f77a343e46950e1fa9b0c4620ccca1a66616dfac5bdc08344cb6985327',
    'ada4112a0da27f29d6ecc6ed8da5d788df641c7bce4edb9b0d2efe34054e84d4f45416792dd7521e03daafe13f9ad72ac4bb521d6c60947d5b14dca9a96b58336decb46d1653cd6fc7b2ccb58d1ef722429170317cabc5038e4fc86fd17726815e4',
    'e7900cea7c94d3ebb959b1add9f8197abad7c4e12d91caac47cf51f9f67f82275345c7c9182e4ab722ce903104624f284ce6b3214da7b6902a7cb1bf76d5c8306de0ed47a220433676258b3416c82d9f5ee664f525ad0d2afd80c388cee525871bd',
    'e2600123fac7833ff83812594e5a7abd45fff4808d20b5cb34c1f3eda3c086358d763813d942788f09d81bae973bb34903d9a3ee49d3403a684b920e53f4380ff791c90687197234ff3f050cd415c7a273f1be306b51f0e0d84d924baf5e3783118'
  ];
}

let table: Int32Array[] | null = null;

/** K forms of Y+X, Y-X and 2d·T of every entry of 2^128·B, at offsets 0, 26 and 52. */
export function baseHiTable(): Int32Array[] {
  if (!table) table = decodeBaseTable(baseHiTableLiteral());
  return table;
}

/**
 * Drops both decoded tables of B (this one and base-table.ts); the next verification decodes
 * them again (a few ms each). For a lock short of memory between verifications.
 */
export function forgetBaseTable(): void {
  table = null;
  forgetBaseLoTable();
}
