/* eslint-disable */
/**
 * Generated `data model` utility.
 *
 * KEPT BY HAND, in the form `npx convex codegen` writes (codegen needs a live
 * deployment, which this repository's CI cannot reach). The app has no tables of
 * its own; update it when the form of Convex's generated `dataModel.ts`
 * changes or the app gets a schema.
 * `npm test` typechecks the example app against the component, so a drift
 * fails there (README, "Repository layout").
 * @module
 */
import type { AnyDataModel } from "convex/server";
import type { GenericId } from "convex/values";

/**
 * No `schema.ts` file found!
 *
 * This generated code has permissive types like `Doc = any` because
 * Convex doesn't know your schema. If you'd like more type safety, see
 * https://docs.convex.dev/using/schemas for instructions on how to add a
 * schema file.
 *
 * After you change a schema, rerun codegen with `npx convex dev`.
 */

export type TableNames = string;
export type Doc = any;
export type Id<TableName extends TableNames = TableNames> = GenericId<TableName>;
export type DataModel = AnyDataModel;
