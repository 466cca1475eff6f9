/* eslint-disable */
/**
 * Generated `data model` utility.
 *
 * KEPT BY HAND, in the form `npx convex codegen` writes (codegen needs a live
 * deployment, which this repository's CI cannot reach). It derives every type
 * from `../schema.ts`; update it by hand only when the form of Convex's
 * generated `dataModel.ts` changes (a Convex upgrade).
 * `npm test` typechecks the example app against the component, so a drift
 * fails there (README, "Repository layout").
 * @module
 */
import type {
  DataModelFromSchemaDefinition,
  DocumentByName,
  TableNamesInDataModel,
  SystemTableNames,
} from "convex/server";
import type { GenericId } from "convex/values";
import schema from "../schema.js";

export type TableNames = TableNamesInDataModel<DataModel>;

export type Doc<TableName extends TableNames> = DocumentByName<
  DataModel,
  TableName
>;

export type Id<TableName extends TableNames | SystemTableNames> =
  GenericId<TableName>;

export type DataModel = DataModelFromSchemaDefinition<typeof schema>;
