import {
  mutationGeneric,
  queryGeneric,
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericQueryCtx,
} from "convex/server";
import { v } from "convex/values";
import type { ComponentApi } from "../component/_generated/component.js";
import { fail } from "../component/lib/errors.js";
import {
  vGoal,
  vGoalDefinition,
  vSite,
  vSiteSettings,
  type Site,
} from "../component/validators.js";
import { hashWriteKey } from "./hash.js";
import type { AuthCheck } from "./reports.js";

const MIN_WRITE_KEY_LENGTH = 16;

async function hashChecked(writeKey: string): Promise<string> {
  if (writeKey.length < MIN_WRITE_KEY_LENGTH) {
    fail(
      "invalid_argument",
      `A write key needs at least ${MIN_WRITE_KEY_LENGTH} characters`,
    );
  }
  return await hashWriteKey(writeKey);
}

const siteArgs = { ...vSiteSettings, slug: v.string(), name: v.string() };

type SettingName = keyof typeof vSiteSettings;

/**
 * The settings passed to provisionSite whose values differ from the stored
 * site's (arrays compared element by element, in order), in a stable order.
 */
export function settingsThatDiffer(
  site: Site,
  settings: { [K in SettingName]?: unknown },
): SettingName[] {
  const differs = (stored: unknown, wanted: unknown) =>
    JSON.stringify(stored) !== JSON.stringify(wanted);
  // Sites created before `visitorIdentity` existed count by device (as updateSite reads them).
  const stored = { ...site, visitorIdentity: site.visitorIdentity ?? "device" };
  return (Object.keys(vSiteSettings) as SettingName[]).filter(
    (field) =>
      settings[field] !== undefined &&
      differs(stored[field as keyof Site], settings[field]),
  );
}

export type AdminOptions<DataModel extends GenericDataModel> = {
  auth: AuthCheck<GenericQueryCtx<DataModel> | GenericMutationCtx<DataModel>>;
  /** Environment variable `provisionSite` reads the write key from; default ANALYTICS_WRITE_KEY. */
  writeKeyEnvVar?: string;
};

/**
 * Returns the site administration functions for the app to export. Raw write
 * keys are hashed here, so only their SHA-256 reaches the component; every
 * function first awaits `auth(ctx, { operation, siteId })`.
 */
export function exposeAdminApi<
  DataModel extends GenericDataModel = GenericDataModel,
>(component: ComponentApi, options: AdminOptions<DataModel>) {
  const { auth } = options;
  const envVar = options.writeKeyEnvVar ?? "ANALYTICS_WRITE_KEY";
  return {
    /** Creates a site and returns its id. */
    createSite: mutationGeneric({
      args: { ...siteArgs, writeKey: v.string() },
      returns: v.string(),
      handler: async (
        ctx: GenericMutationCtx<DataModel>,
        { writeKey, ...site },
      ): Promise<string> => {
        await auth(ctx, { operation: "createSite" });
        return await ctx.runMutation(component.sites.createSite, {
          ...site,
          writeKeyHash: await hashChecked(writeKey),
        });
      },
    }),
    /** Returns the site with this slug, creating it if missing. */
    ensureSite: mutationGeneric({
      args: { ...siteArgs, writeKey: v.string() },
      returns: v.object({ siteId: v.string(), created: v.boolean() }),
      handler: async (
        ctx: GenericMutationCtx<DataModel>,
        { writeKey, ...site },
      ) => {
        await auth(ctx, { operation: "ensureSite" });
        return await ctx.runMutation(component.sites.ensureSite, {
          ...site,
          writeKeyHash: await hashChecked(writeKey),
        });
      },
    }),
    /**
     * Idempotent one-call setup for deploy scripts: ensures the site exists,
     * that its write key is the one in the environment variable (rotating it
     * if it changed), and that every setting passed (name, origins, timezone,
     * …) is what the site has: settings that differ are applied, and named in
     * `updated` (empty when nothing changed). Settings left out are kept.
     */
    provisionSite: mutationGeneric({
      args: siteArgs,
      returns: v.object({
        siteId: v.string(),
        created: v.boolean(),
        rotated: v.boolean(),
        updated: v.array(v.string()),
      }),
      handler: async (
        ctx: GenericMutationCtx<DataModel>,
        { slug, ...settings },
      ) => {
        await auth(ctx, { operation: "provisionSite" });
        const writeKey = process.env[envVar];
        if (!writeKey)
          fail(
            "not_configured",
            `Set the ${envVar} environment variable to the site's write key`,
          );
        const writeKeyHash = await hashChecked(writeKey);
        const { siteId, created } = await ctx.runMutation(
          component.sites.ensureSite,
          { slug, ...settings, writeKeyHash },
        );
        if (created) return { siteId, created, rotated: false, updated: [] };
        const rotated = await ctx.runMutation(component.sites.rotateWriteKey, {
          siteId,
          writeKeyHash,
          onlyIfChanged: true,
        });
        const site = await ctx.runQuery(component.sites.getSite, { siteId });
        const updated = site ? settingsThatDiffer(site, settings) : [];
        if (updated.length > 0) {
          const patch = Object.fromEntries(
            updated.map((field) => [field, settings[field]]),
          );
          await ctx.runMutation(component.sites.updateSite, {
            siteId,
            ...patch,
          });
        }
        return { siteId, created, rotated, updated };
      },
    }),
    /** Changes a site's settings. */
    updateSite: mutationGeneric({
      args: { siteId: v.string(), ...vSiteSettings },
      returns: v.null(),
      handler: async (ctx: GenericMutationCtx<DataModel>, args) => {
        await auth(ctx, { operation: "updateSite", siteId: args.siteId });
        return await ctx.runMutation(component.sites.updateSite, args);
      },
    }),
    /**
     * Replaces the write key; the old one stops working immediately. Returns
     * whether the key changed (with `onlyIfChanged`, the same key is a no-op
     * and returns false), as the component does.
     */
    rotateWriteKey: mutationGeneric({
      args: {
        siteId: v.string(),
        writeKey: v.string(),
        onlyIfChanged: v.optional(v.boolean()),
      },
      returns: v.boolean(),
      handler: async (
        ctx: GenericMutationCtx<DataModel>,
        { siteId, writeKey, onlyIfChanged },
      ): Promise<boolean> => {
        await auth(ctx, { operation: "rotateWriteKey", siteId });
        const writeKeyHash = await hashChecked(writeKey);
        return await ctx.runMutation(component.sites.rotateWriteKey, {
          siteId,
          writeKeyHash,
          onlyIfChanged,
        });
      },
    }),
    getSite: queryGeneric({
      args: { siteId: v.string() },
      returns: v.union(vSite, v.null()),
      handler: async (ctx: GenericQueryCtx<DataModel>, { siteId }) => {
        await auth(ctx, { operation: "getSite", siteId });
        return await ctx.runQuery(component.sites.getSite, { siteId });
      },
    }),
    getSiteBySlug: queryGeneric({
      args: { slug: v.string() },
      returns: v.union(vSite, v.null()),
      handler: async (ctx: GenericQueryCtx<DataModel>, { slug }) => {
        await auth(ctx, { operation: "getSiteBySlug" });
        return await ctx.runQuery(component.sites.getSiteBySlug, { slug });
      },
    }),
    listSites: queryGeneric({
      args: { limit: v.optional(v.number()) },
      returns: v.array(vSite),
      handler: async (ctx: GenericQueryCtx<DataModel>, args) => {
        await auth(ctx, { operation: "listSites" });
        return await ctx.runQuery(component.sites.listSites, args);
      },
    }),
    ...goalAdminApi(component, auth),
  };
}

/**
 * Goal administration (README, "Goals"): at most 20 goals per site; creating
 * or changing one starts a backfill over the raw events kept.
 */
function goalAdminApi<DataModel extends GenericDataModel>(
  component: ComponentApi,
  auth: AdminOptions<DataModel>["auth"],
) {
  return {
    /** Defines a goal: `eventName` (optionally `propertyKey` = `propertyValue`) or `pathPattern`. Returns its id. */
    createGoal: mutationGeneric({
      args: { siteId: v.string(), ...vGoalDefinition },
      returns: v.string(),
      handler: async (
        ctx: GenericMutationCtx<DataModel>,
        args,
      ): Promise<string> => {
        await auth(ctx, { operation: "createGoal", siteId: args.siteId });
        return await ctx.runMutation(component.goals.createGoal, args);
      },
    }),
    /** Replaces a goal's name and definition. */
    updateGoal: mutationGeneric({
      args: { siteId: v.string(), goalId: v.string(), ...vGoalDefinition },
      returns: v.null(),
      handler: async (ctx: GenericMutationCtx<DataModel>, args) => {
        await auth(ctx, { operation: "updateGoal", siteId: args.siteId });
        return await ctx.runMutation(component.goals.updateGoal, args);
      },
    }),
    deleteGoal: mutationGeneric({
      args: { siteId: v.string(), goalId: v.string() },
      returns: v.null(),
      handler: async (ctx: GenericMutationCtx<DataModel>, args) => {
        await auth(ctx, { operation: "deleteGoal", siteId: args.siteId });
        return await ctx.runMutation(component.goals.deleteGoal, args);
      },
    }),
    listGoals: queryGeneric({
      args: { siteId: v.string() },
      returns: v.array(vGoal),
      handler: async (ctx: GenericQueryCtx<DataModel>, args) => {
        await auth(ctx, { operation: "listGoals", siteId: args.siteId });
        return await ctx.runQuery(component.goals.listGoals, args);
      },
    }),
  };
}
