// Runs the audit suite of the GraphQL over HTTP specification (graphql-http's
// `serverAudits`) against a running server, and fails unless every MUST and every SHOULD
// audit passes. Usage: node graphql-http-audit.cjs URL MODULES_DIR
const path = require("node:path");

const [url, modules] = process.argv.slice(2);
const { serverAudits } = require(path.join(modules, "node_modules", "graphql-http"));

(async () => {
  const counts = { MUST: [0, 0], SHOULD: [0, 0], MAY: [0, 0] };
  const failures = [];
  for (const audit of serverAudits({ url })) {
    const result = await audit.fn();
    const level = audit.name.split(" ")[0];
    const count = counts[level] || (counts[level] = [0, 0]);
    count[1] += 1;
    if (result.status === "ok") {
      count[0] += 1;
    } else {
      const line = `${result.status.toUpperCase()} ${audit.id} ${audit.name}: ${result.reason}`;
      console.log(line);
      if (level === "MUST" || level === "SHOULD") failures.push(line);
    }
  }
  for (const [level, [passed, total]] of Object.entries(counts)) {
    console.log(`${level}: ${passed} of ${total} passed`);
  }
  process.exit(failures.length === 0 ? 0 : 1);
})().catch((error) => {
  console.error(error);
  process.exit(2);
});
