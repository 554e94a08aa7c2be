// Compares the schema with the one last released, with graphql-js's findBreakingChanges:
// each breaking change must be announced in the Unreleased section of the changelog, under
// a `### Breaking` subsection that names it in backticks (`Type.field`, `Type.field(arg)`,
// `Enum.VALUE`, `Type`). Dangerous changes (an argument's default, an enum value added)
// are listed, not refused.
// Usage: node schema-evolution-check.cjs RELEASED CURRENT CHANGELOG MODULES_DIR
const fs = require("node:fs");
const path = require("node:path");

const [releasedPath, currentPath, changelogPath, modules] = process.argv.slice(2);
const { buildSchema, findBreakingChanges, findDangerousChanges } = require(
  path.join(modules, "node_modules", "graphql"),
);

const released = buildSchema(fs.readFileSync(releasedPath, "utf8"));
const current = buildSchema(fs.readFileSync(currentPath, "utf8"));

// What a change's description names, as the changelog must name it.
function subject(change) {
  const text = change.description;
  let match;
  if ((match = text.match(/^(\w+)\.(\w+) arg (\w+) /))) return `${match[1]}.${match[2]}(${match[3]})`;
  if ((match = text.match(/^A required arg (\w+) on (\w+)\.(\w+) /))) return `${match[2]}.${match[3]}(${match[1]})`;
  if ((match = text.match(/^A required field (\w+) on input type "?(\w+)"? /))) return `${match[2]}.${match[1]}`;
  if ((match = text.match(/^(\w+) was removed from enum type (\w+)/))) return `${match[2]}.${match[1]}`;
  if ((match = text.match(/^(\w+) was removed from union type (\w+)/))) return `${match[2]}`;
  if ((match = text.match(/^(\w+) no longer implements interface (\w+)/))) return `${match[1]}`;
  if ((match = text.match(/^(\w+)\.(\w+) /))) return `${match[1]}.${match[2]}`;
  if ((match = text.match(/^(\w+) /))) return match[1];
  return text;
}

// The `### Breaking` subsection of `## [Unreleased]`, or "".
function announced(changelog) {
  const unreleased = changelog.split(/^## /m).find((section) => section.startsWith("[Unreleased]"));
  if (!unreleased) return "";
  const breaking = unreleased.split(/^### /m).find((part) => /^Breaking\s*$/m.test(part.split("\n")[0]));
  return breaking || "";
}

const breaking = announced(fs.readFileSync(changelogPath, "utf8"));
const changes = findBreakingChanges(released, current);
for (const change of findDangerousChanges(released, current)) {
  console.log(`dangerous (allowed): ${change.description}`);
}
const unannounced = [];
for (const change of changes) {
  const name = subject(change);
  const ok = breaking.includes(`\`${name}\``);
  console.log(`${ok ? "breaking, announced" : "BREAKING, NOT ANNOUNCED"}: \`${name}\`: ${change.description}`);
  if (!ok) unannounced.push(name);
}
if (unannounced.length > 0) {
  console.error(
    `\n${unannounced.length} breaking change(s) of the API since ${releasedPath} are not announced.\n` +
      "Keep the old field (deprecate it) if you can; otherwise name each one in backticks under\n" +
      "`### Breaking` in the `## [Unreleased]` section of CHANGELOG.md:\n" +
      unannounced.map((name) => `  - \`${name}\``).join("\n"),
  );
  process.exit(1);
}
console.log(`schema evolution: ${changes.length} breaking change(s) since ${releasedPath}, all announced`);
