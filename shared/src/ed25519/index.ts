export { type Verifier } from './verifier';
export {
  ORDER_L, SMALL_ORDER_POINTS, isAcceptablePublicKey, isCanonicalPointEncoding, isCanonicalScalar,
  isSmallOrderEncoding, passesStrictChecks
} from './strict';
