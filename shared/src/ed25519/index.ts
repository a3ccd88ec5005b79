export { type Verifier } from './verifier';
export {
  ORDER_L, SMALL_ORDER_POINTS, isAcceptablePublicKey, isCanonicalPointEncoding, isCanonicalScalar,
  isSmallOrderEncoding, passesStrictChecks
} from './strict';
export { setFieldNatives, usingNativeConvolve, type Convolve, type FieldNatives } from './field-natives';
export { forgetKeyTables, keepKeyTables } from './key-table';
export { forgetBaseTable } from './base-table-hi';
export { beginVerify, currentStepProducts, MIN_STEP_PRODUCTS, STEP_PRODUCTS, STEP_PRODUCTS_JS, setVerifyStepProducts, type VerifyTask } from './verify-task';
export { decodePointValid, fastVerifier, runSliced, verifyStrict, type SliceOptions } from './verify';
export {
  beginPublicKey, beginSign, expandSeed, publicKeyNow, SEED_LENGTH, signingKey, signNow, type SignTask, type SigningKey
} from './sign-task';
