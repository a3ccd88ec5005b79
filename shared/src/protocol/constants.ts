/**
 * Protocol constants (docs/protocol.md §2–§7). Plain numeric constants so the
 * firmware bundle inlines them. Numbers are stable forever.
 */

export const PROTOCOL_VERSION = 1;
// Owner consent (§11) is protocol version 2: its own messages carry this version byte.
export const PROTOCOL_VERSION_OWNER = 2;

// Domain-separation tags: 8 ASCII bytes, first in every signed or hashed structure (§2).
export const TAG_COMMAND = 'KWY-CMD\u0000';
export const TAG_REVEAL = 'KWY-OPN\u0000';
export const TAG_EVENT = 'KWY-EVT\u0000';
export const TAG_STATUS = 'KWY-STA\u0000';
export const TAG_OFFLINE = 'KWY-OFF\u0000';
export const TAG_CHAIN = 'KWY-CHN\u0000';
export const TAG_BARCODE = 'KWY-BAR\u0000';
export const TAG_KEY_ID = 'KWY-KID\u0000';
export const TAG_GRANT_FINGERPRINT = 'KWY-GFP\u0000';
export const TAG_RECEIPT = 'KWY-RCP\u0000';
export const TAG_CLIP = 'KWY-CLP\u0000';
export const TAG_OWNER = 'KWY-OWN\u0000';
export const TAG_LENGTH = 8;

export const DEVICE_ID_LENGTH = 8;
export const PUBLIC_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;
export const NONCE_LENGTH = 8;
export const HASH_LENGTH = 32;
export const COMMAND_HEADER_LENGTH = 45;
// A command's payload holds at most 255 bytes (one length byte): an owner statement (§11.1)
// wrapping a grant is the largest; every payload an owner statement itself wraps stays within 160.
export const MAX_COMMAND_PAYLOAD = 255;
export const MAX_OWNER_PAYLOAD = 160;
// Owner consent (§11): owner keys and standing consents a lock holds.
export const MAX_OWNER_KEYS = 4;
export const MAX_CONSENTS = 4;
export const MAX_EVENT_DATA = 64;
export const MAX_SCHEDULE_ENTRIES = 7;
export const MAX_FIRMWARE_VERSION = 24;
export const MAX_BARCODE_LENGTH = 64;
// The inventory a status carries (§7): the lock's trusted key ids and its staged grants.
export const MAX_STATUS_KEYS = 4;
export const MAX_STATUS_GRANTS = 16;
export const GRANT_FINGERPRINT_LENGTH = 4;
// A camera clip's manifest (§6.3): at most this many frames, each named by its SHA-256.
export const MAX_CLIP_FRAMES = 16;
export const CLIP_HASH_LENGTH = 32;

// Actions (§3). The lock refuses unknown ones with RC_UNKNOWN_ACTION.
export const ACT_UNLOCK = 0x01;
export const ACT_LOCK = 0x02;
export const ACT_UNLATCH = 0x03;
export const ACT_GRANT_PUT = 0x10;
export const ACT_GRANT_REVOKE = 0x11;
export const ACT_KEY_ROTATE = 0x20;
export const ACT_TIME_SET = 0x30;
export const ACT_ALARM_CLEAR = 0x40;
// Far from the others: later protocol work adds actions near the existing ones.
export const ACT_SETTINGS_SET = 0x70;
// Owner consent (§11, protocol version 2).
export const ACT_OWNER_SIGNED = 0x50;
export const ACT_OWNER_KEY_ADD = 0x51;
export const ACT_OWNER_KEY_REMOVE = 0x52;
export const ACT_CONSENT_MODE_SET = 0x53;
export const ACT_CONSENT_PUT = 0x54;
export const ACT_CONSENT_REMOVE = 0x55;
export const ACT_CONSENTED_GRANT_PUT = 0x56;
// Only inside an owner statement: the owner confirms the lock's clock after a reboot (§11.8).
export const ACT_OWNER_TIME = 0x57;

// Standing consent flags (§11.4).
export const CONSENT_CAMERA_REQUIRED = 0x01;
export const CONSENT_FLAGS_MASK = 0x01;

// Who acted (events and unlock payloads).
export const ACTOR_NONE = 0;
export const ACTOR_OWNER = 1;
export const ACTOR_COURIER = 2;
export const ACTOR_GUEST = 3;
export const ACTOR_SERVICE = 4;
export const ACTOR_BACKEND = 5;
export const ACTOR_BUTTON = 6;
export const ACTOR_AUTO = 7;
export const ACTOR_INSTALLER = 8;
export const ACTOR_PARCEL = 9;

// Grant kinds (§4); a grant's entries are logged with the matching actor kind.
export const GRANT_COURIER = 1;
export const GRANT_GUEST = 2;
export const GRANT_SERVICE = 3;
export const GRANT_PARCEL = 4;

// Grant and unlock flags.
export const FLAG_CAMERA_REQUIRED = 0x01;
export const FLAG_RELOCK_ON_CLOSE = 0x02;
export const GRANT_FLAGS_MASK = 0x03;

// At-door credential types (§4).
export const CRED_NONE = 0;
export const CRED_HASH_CHAIN = 1;
export const CRED_BARCODE = 2;

// Event types (§6).
export const EV_BOOT = 1;
export const EV_STATE = 2;
export const EV_OPERATION = 3;
export const EV_DENIAL = 4;
export const EV_ALARM = 5;
export const EV_ACK = 6;
export const EV_CAMERA = 7;
export const EV_ALARM_CLEARED = 8;

// Where a request came from (data[1] of OPERATION and DENIAL events).
export const SRC_COMMAND = 1;
export const SRC_REVEAL = 2;
export const SRC_BUTTON = 3;
export const SRC_AUTO = 4;
export const SRC_BARCODE = 5;

// Bolt and door states (STATE events and status).
export const BOLT_UNKNOWN = 0;
export const BOLT_LOCKED = 1;
export const BOLT_UNLOCKING = 2;
export const BOLT_UNLOCKED = 3;
export const BOLT_LOCKING = 4;
export const BOLT_JAMMED = 5;
export const BOLT_FAULT = 6;

export const DOOR_UNKNOWN = 0;
export const DOOR_CLOSED = 1;
export const DOOR_OPEN = 2;

// Status flags (§7).
export const ST_TIME_TRUSTED = 0x01;
export const ST_CAMERA_OK = 0x02;
export const ST_LOCKOUT = 0x04;
export const ST_JAMMED = 0x08;
export const ST_INSTALL_MODE = 0x10;
export const ST_LOW_BATTERY = 0x20;
export const ST_BUSY = 0x40;
export const ST_OWNER_CONSENT = 0x80;
