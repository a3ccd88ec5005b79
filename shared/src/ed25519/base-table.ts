/**
 * Odd multiples of the base point B for the fixed-base half of the double-scalar
 * multiplication: [1]B, [3]B, ..., [2·BASE_ENTRIES - 1]B in affine "niels" form
 * (y + x, y - x, 2d·x·y). Each coordinate is 13 balanced limbs (field.ts), each written as
 * 5 hex digits of limb + 2^19 (elFromLimbHex), so decoding is one parseInt a limb. Generated
 * once from the BigInt reference; tests/shared/ed25519/base-table.test.ts re-derives every digit.
 * A literal rather than computed on the lock: decoding costs a few ms on Espruino, while
 * generating needs 15 additions and a batched inversion (docs/verifier.md has both figures).
 * Decoded on first use into one Int32Array of K forms per entry (point.ts table layout).
 */
import { elFromLimbHex } from './field';

/** wNAF width for S: digits are odd and below 2^(BASE_WNAF - 1) in magnitude. */
export const BASE_WNAF = 6;
export const BASE_ENTRIES = 1 << (BASE_WNAF - 2);

/** A function, so the literal is garbage once decoded. */
export function baseTableLiteral(): string[] {
  return [
    '43b8546f597bc948e193efb8c132dcac2d0e43d434898e5271bd4ba1d3a3807d08913e85d74510393eb3add141b99f0209fde88f998434e7a5c0f812af92a844fd2aa68858783c912449ebbccab59e8218c275d43637dcc285a270c66fb68a86f11',
    '69730284cf725b1cb8ab8e886da843f32021f0163500374c12280f9ce1ba87a164d26568a50e61203a7d55e5c253540ebd3ca14bd9f31ae2813d5bda9587582ab98d889bf0ddcae935a621a1c361423234c590cf2e8e54646d17ab9b5a6af185a28',
    'dbb33c408aa12bc6d02abc75fd048c4448ddabff3eb0c6bdd2ee2074cf1482946fd6ba43a4479183a9b7894b278014d887d53864a4f11d73e3431b56fe73f8154a28285718134bbdc51fccfd0be8e080f2d279bbda3670b1ab4233bb73e697843ab',
    '6a3bf5094531a5d40d272b39ef035464974a8543a5282fe71b03c926a6938461ca21b11aaa326f2da3a7cb3bba2021543a6d1219327650609df653185d5d381d6f0b3a24801c9836e249aff053f835f45f3b3d877b441ba2752a20f913b1c787aa0',
    '0632f0aa6b32e68c6c5a751bcd09e7db5a64686fa33cad9ceb2dd7f6d339834ba58064fe03ab6e21c19bfef5202081b84499675eb3c6090f96d2dc9dda520849c0daf1b3f904eb4e9522f00a71a7f83f716e313d4defc2a86aaf3008bf2022873c1',
    '82ade048a87bf01ae2737023059fedc06e697703684712f114c6d902ae2584276e43488249895f5b038131770956b373953fea8df87555ffa3a1d5c7d9803818ab889e945fd602b2d64a4e932839eb4ae2203351a89119ac8443d3df9d522b83dc6',
    '87f6da2a20770c25edbc2b5bd04b3a207c07b07c20e13c1538b46f257eec823507bf93bb32886f01ef6b519b777cebd168af2aad6ab233279d1f6025082d1802686a37899733b60a1547159df8eb7e6bd332411a7e737f9e3a2f2097826fdb8497c',
    '7eaa08313dccecca46d25189cc8c29cd08641f2d5bdfbab2dc92de7a917f861e24cf0b06469c0bce90d60c2a99029ba992d487b25030083f7510d05f4d422843b68b516af9bd59a765eee663740b8af5a70eb13d6465a7ec20332e4d8e12118511d',
    '69d816f951ac677844f95c0d7c620da48a5ef8f13366463aaa5b856d924e86d328de87c8442013866db41eb5939cf015258aa994324e27903a0a48287e6fe871a80c85438a5d47183aa0371fe5f7d14850c3403779759192972dd9eeb44b6584747',
    'e9a2bbc6dcb777b7617df6f8a7ab22eb5df353a1d1cf837456cfea0d1de385c9ac114748647c85474849350efdb5aeeb327d8672ab9a7656ff95b5e7e34988219690e674f79fd10f2d15bf9e6585ddaaa780090142ba7173b09c88224d03c684804',
    'b7fc7502cac249f2cabcba616d9a0e623a0496e116ed8ed88be506918a5185534ed175523a3368221e324fe99c340aa247bca083965ce4de5da0de4c898868771ed1edf52784212f61ccba1858a5a5d8d083b1fa5974a2e914787f5a651d6985a5f',
    'd0e83aafe199512b5d81d7e4ba09a2620cf9e712ff829707380bf933897e844ada7359455852e5e11d7ec1cadcae5c23e9395a1cbd3c1fc42867efdce01368019bb4b83945e166068cc1627243075e656d7c57c1a4688a912507ead30c9fde8150c',
    'f11381509467bf32651914f76efef40ad5da5a71779c4a210b3b999da07686b2b4a868bc9ce04986cad0c3b871bf44ee8dc88c3616e35641fe4605fc57792878a78b976cb47a0bf70c8d56d741781b35d90a65542f31fb280aa32d55dfffc58725c',
    '799b295d1dc42678d34e902a2d2d5189f730b1219157c2323d4b1f4492788794d898c0771cd9802ce3669ced5ec16ca14cfec902a05d7167df6055fbc626084cd545053a6c2b2f6c4f2585532f61aedb821bd8a311832f1052ad7cc8fb57b787008',
    'f3f01a7387388674cfb1295fc4cc901b6b939ad35d5a4ea8d39ad0ffe985806ef04a343b82681ba0f92bdbd2b42b646a0248c85369639ca8b631d6d4aa367813a9f7de59cc05293775c5cd65036c0e42871755802e00f02ea24722af8eddf983c29',
    'ca71379d916ad167912b18c90af7c0f30a91f53d023183ab0010c785393587a9a72541aebb24eb4d39200f40ae1510c505b950a1b9a37efbfc7f4771ac70080a895a3e8a436c752ed87949957e828c844e078a62fa1656352a5bb02f8e2d2882867'
  ];
}

let table: Int32Array[] | null = null;

/** Entries of a table literal as K forms of Y+X, Y-X and 2d·T, at offsets 0, 26 and 52. */
export function decodeBaseTable(hex: string[]): Int32Array[] {
  const t: Int32Array[] = [];
  for (let i = 0; i < hex.length; i++) {
    const e = new Int32Array(78);
    for (let j = 0; j < 3; j++) e.set(elFromLimbHex(hex[i].substr(65 * j, 65)).k, 26 * j);
    t.push(e);
  }
  return t;
}

/** K forms of Y+X, Y-X and 2d·T of every entry, at offsets 0, 26 and 52. */
export function baseTable(): Int32Array[] {
  if (!table) table = decodeBaseTable(baseTableLiteral());
  return table;
}

/** Drops this decoded table (forgetBaseTable in base-table-hi.ts drops both). */
export function forgetBaseLoTable(): void {
  table = null;
}
