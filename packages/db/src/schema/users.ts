/** Users: one licence each (user name, password, permissions, restrictions), and their device registrations. */
import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { lockoutCounters, timestamps } from "./columns.js";
import { contracts } from "./contracts.js";
import { editionEnum, productTypeEnum, slotKindEnum, userTypeEnum } from "./enums.js";

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    contractId: uuid("contract_id")
      .notNull()
      .references(() => contracts.id, { onDelete: "cascade" }),
    /** Copied from the contract: user names are unique per relay server, as the agents send them. */
    serverHost: text("server_host").notNull(),
    userName: text("user_name").notNull(),
    /** argon2id; never the password itself. */
    passwordHash: text("password_hash").notNull(),
    userType: userTypeEnum("user_type").notNull().default("standard"),
    /** Seen by admins only. */
    memo: text("memo").notNull().default(""),
    /** The product type the viewer may be; null: no viewer licence. */
    viewerProduct: productTypeEnum("viewer_product"),
    viewerUsable: boolean("viewer_usable").notNull().default(true),
    /** モバイル併用: a mobile viewer may be used beside the main product. */
    mobileConcurrentUse: boolean("mobile_concurrent_use").notNull().default(false),
    clientUsable: boolean("client_usable").notNull().default(true),
    /** The edition the viewer must be; with allowNonPlus a standard viewer is accepted too. */
    edition: editionEnum("edition").notNull().default("standard"),
    allowNonPlusConcurrentUse: boolean("allow_non_plus_concurrent_use").notNull().default(false),
    /** Serial of the USB key bound to this user name (USB and fingerprint products). */
    usbKeySerial: text("usb_key_serial"),
    /** CIDR allow-lists; null allows every address. */
    ipAllowViewer: text("ip_allow_viewer").array(),
    ipAllowClient: text("ip_allow_client").array(),
    /** Normalised MAC allow-lists (aa:bb:cc:dd:ee:ff); null allows every device. */
    macAllowViewer: text("mac_allow_viewer").array(),
    macAllowClient: text("mac_allow_client").array(),
    /** Mobile viewer password saving. */
    mayStoreLoginPassword: boolean("may_store_login_password").notNull().default(false),
    mayStoreOsLogonPassword: boolean("may_store_os_logon_password").notNull().default(false),
    /** Neo: devices this user may register; null takes the contract's. */
    neoDeviceLimit: integer("neo_device_limit"),
    /** Neo: whether new devices may register at all (closed: an unknown device fails 200300). */
    neoRegistrationOpen: boolean("neo_registration_open").notNull().default(true),
    /** Set when an admin initialises a slot, cleared when a device registers into it again. */
    pcSlotInitialisedAt: timestamp("pc_slot_initialised_at", { withTimezone: true }),
    mobileSlotInitialisedAt: timestamp("mobile_slot_initialised_at", { withTimezone: true }),
    /** Optimistic concurrency: two admins editing one user cannot overwrite each other silently. */
    version: integer("version").notNull().default(1),
    /**
     * Advanced by every change that can take access away (password, lists, permissions, slot
     * initialise, grouping link removal). A session admitted under an older value is ended at its next
     * heartbeat: a login that read the account just before such a change cannot outlive it.
     */
    accessEpoch: integer("access_epoch").notNull().default(0),
    ...lockoutCounters,
    ...timestamps,
  },
  (t) => [
    uniqueIndex("users_server_user_name").on(t.serverHost, t.userName),
    index("users_contract_user_name").on(t.contractId, t.userName),
  ],
);

/**
 * A device identity registered into a user's PC or mobile slot (terminal authentication). A legacy
 * slot holds one device (seq 0); a neo user holds up to its device limit (seq 0..limit-1). The
 * unique index is what makes ten devices racing into one empty slot end with exactly one.
 */
export const deviceRegistrations = pgTable(
  "device_registrations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    slot: slotKindEnum("slot").notNull(),
    seq: integer("seq").notNull().default(0),
    machineId: text("machine_id").notNull(),
    osUser: text("os_user").notNull(),
    /** The install key's public half; the viewer proves possession by signing the relay's challenge. */
    installPublicKey: text("install_public_key").notNull(),
    registeredAt: timestamp("registered_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("device_registrations_slot_seq").on(t.userId, t.slot, t.seq),
    check("device_registrations_seq_nonneg", sql`${t.seq} >= 0`),
  ],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type DeviceRegistration = typeof deviceRegistrations.$inferSelect;
