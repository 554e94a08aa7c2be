// Checks subscriptions with the npm `graphql-ws` reference client (over `ws`): an anonymous
// subscriber to `initiativePublished` with a territory filter receives the initiative a
// moderator approves through the API; a partner is refused `moderationQueueChanged` of
// another organisation with the protocol's error.
// Usage: node subscriptions-check.cjs HOST:PORT MODULES_DIR
const path = require("node:path");

const [address, modules] = process.argv.slice(2);
const { createClient } = require(path.join(modules, "node_modules", "graphql-ws"));
const WebSocket = require(path.join(modules, "node_modules", "ws"));
const PASSWORD = process.env.COMMUNS_NEW_PASSWORD;

async function graphql(query, variables = {}, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`http://${address}/graphql`, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function login(email) {
  const data = await graphql(
    "mutation ($input: LoginInput!) { login(input: $input) { token } }",
    { input: { email, password: PASSWORD } },
  );
  return data.login.token;
}

function client(token) {
  return createClient({
    url: `ws://${address}/graphql`,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
  });
}

/** The first message of a subscription: { next } or { error }. */
function first(ws, query, variables, seconds = 15) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing within ${seconds} s: ${query}`)), seconds * 1000);
    const stop = ws.subscribe(
      { query, variables },
      {
        next: (value) => { clearTimeout(timer); stop(); resolve({ next: value }); },
        error: (error) => { clearTimeout(timer); resolve({ error }); },
        complete: () => {},
      },
    );
  });
}

(async () => {
  const moderator = await login("moderatrice@exemple.fr");
  const afev = await login("afev@exemple.fr");
  const metz = await login("metz@exemple.fr");
  const ids = await graphql(`{
    moselle: territory(slug: "moselle") { id }
    metz: territory(slug: "metz") { id }
    theme: theme(slug: "aide-alimentaire") { id }
    afev: organisation(slug: "afev") { id } }`);

  const anonymous = client();
  const received = first(
    anonymous,
    "subscription ($filter: InitiativePublishedFilter) { initiativePublished(filter: $filter) { id title } }",
    { filter: { territoryIds: [ids.moselle.id] } },
  );
  // Let the subscription start before the approval.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const created = await graphql(
    "mutation ($input: CreateInitiativeInput!) { createInitiative(input: $input) { initiative { id version } } }",
    { input: { title: "Vérification des abonnements", summary: "Une initiative à Metz",
      themeIds: [ids.theme.id], territoryIds: [ids.metz.id] } },
    afev,
  );
  const initiative = created.createInitiative.initiative;
  const submitted = await graphql(
    "mutation ($id: ID!, $version: Int!) { submitInitiative(input: { id: $id, expectedVersion: $version }) { initiative { version } } }",
    { id: initiative.id, version: initiative.version },
    afev,
  );
  await graphql(
    "mutation ($id: ID!, $version: Int!) { moderate(input: { subjectId: $id, action: APPROVE, expectedVersion: $version }) { subject { ... on Initiative { status } } } }",
    { id: initiative.id, version: submitted.submitInitiative.initiative.version },
    moderator,
  );
  const published = await received;
  const got = published.next && published.next.data && published.next.data.initiativePublished;
  if (!got || got.id !== initiative.id) {
    throw new Error(`initiativePublished: expected ${initiative.id}, got ${JSON.stringify(published)}`);
  }
  console.log(`ok: initiativePublished received ${got.id} in Moselle`);

  const partner = client(metz);
  const refused = await first(
    partner,
    "subscription ($organisationId: ID) { moderationQueueChanged(organisationId: $organisationId) { status } }",
    { organisationId: ids.afev.id },
  );
  const code = Array.isArray(refused.error) && refused.error[0].extensions && refused.error[0].extensions.code;
  if (code !== "FORBIDDEN") {
    throw new Error(`moderationQueueChanged of another organisation: expected FORBIDDEN, got ${JSON.stringify(refused)}`);
  }
  console.log("ok: a partner is refused another organisation's moderation queue (FORBIDDEN)");
  await anonymous.dispose();
  await partner.dispose();
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
