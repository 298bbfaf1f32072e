/** Postgres enums built from core's closed vocabularies, so the database and the code cannot drift. */
import { editions, models, products, productTypes, roles, slotKinds, userTypes } from "@tsunagi/core/domain";
import { pgEnum } from "drizzle-orm/pg-core";

export const modelEnum = pgEnum("model", models);
export const roleEnum = pgEnum("role", roles);
export const productEnum = pgEnum("product", products);
export const productTypeEnum = pgEnum("product_type", productTypes);
export const editionEnum = pgEnum("edition", editions);
export const slotKindEnum = pgEnum("slot_kind", slotKinds);
export const userTypeEnum = pgEnum("user_type", userTypes);
/** "info" is the 200200 row written when a device registers into an empty slot: not an error. */
export const attemptResultEnum = pgEnum("attempt_result", ["success", "failure", "info"]);
