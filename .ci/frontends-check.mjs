// Runs the Apollo Client of docs/frontends/apollo.mjs against a started Communs, as a
// frontend would, and checks what the page promises: the possible types match the served
// schema, queries go by hash over GET once registered, pages merge, anonymous GET answers
// are public with an ETag that revalidates to 304, a signed-in caller's are private.
// Usage: node frontends-check.mjs <host:port> <email> <password>
import assert from "node:assert/strict";
import { gql } from "@apollo/client";
import { communsClient, possibleTypes } from "./apollo.mjs";

const [, , address, email, password] = process.argv;
const uri = `http://${address}/graphql`;

// Every request the clients send, with what came back.
const sent = [];
async function recordingFetch(url, init = {}) {
  const response = await fetch(url, init);
  sent.push({
    method: init.method ?? "GET",
    url: String(url),
    status: response.status,
    cacheControl: response.headers.get("cache-control"),
    etag: response.headers.get("etag"),
  });
  return response;
}

async function post(body, headers = {}) {
  const response = await fetch(uri, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return response.json();
}

// The possible types written in the page are the served schema's.
const served = await post({
  query: `{ node: __type(name: "Node") { possibleTypes { name } }
            contribution: __type(name: "Contribution") { possibleTypes { name } } }`,
});
const names = (type) => type.possibleTypes.map(({ name }) => name).sort();
assert.deepEqual([...possibleTypes.Node].sort(), names(served.data.node));
assert.deepEqual([...possibleTypes.Contribution].sort(), names(served.data.contribution));

const PAGE = gql`
  query Page($after: String) {
    initiatives(first: 2, after: $after) {
      totalCount
      edges { cursor node { id slug title themes { id name } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

// A first visitor: the hash is unknown, the link sends the query, then pages by hash.
const visitor = communsClient(uri, { fetch: recordingFetch });
const first = await visitor.query({ query: PAGE });
assert.equal(first.data.initiatives.edges.length, 2);
assert.equal(sent[0].method, "GET");
assert.ok(!new URL(sent[0].url).searchParams.has("query"), "the hash alone first");
assert.equal(sent[1].method, "POST", "then the query, once");
// The next page, as `fetchMore` asks for it (from the network): merged into the same list.
await visitor.query({
  query: PAGE,
  variables: { after: first.data.initiatives.pageInfo.endCursor },
  fetchPolicy: "network-only",
});
const merged = visitor.readQuery({ query: PAGE });
assert.equal(merged.initiatives.edges.length, 4, "pages merged by relayStylePagination");
const slugs = new Set(merged.initiatives.edges.map(({ node }) => node.slug));
assert.equal(slugs.size, 4);

// A second visitor: the service knows the hash, so one short GET answers.
sent.length = 0;
const other = communsClient(uri, { fetch: recordingFetch });
const again = await other.query({ query: PAGE });
assert.deepEqual(again.data.initiatives.edges, first.data.initiatives.edges);
assert.equal(sent.length, 1);
const [byHash] = sent;
assert.equal(byHash.method, "GET");
assert.ok(!new URL(byHash.url).searchParams.has("query"));
assert.equal(byHash.status, 200);
assert.match(byHash.cacheControl, /^public, max-age=\d+$/);
assert.ok(byHash.etag, "an ETag");

// A cache in front revalidates the same URL: 304 while nothing changed.
const revalidated = await fetch(byHash.url, {
  headers: { "if-none-match": byHash.etag, accept: "application/graphql-response+json, application/json;q=0.9" },
});
assert.equal(revalidated.status, 304);

// An entity read through `node` with a fragment lands on the same normalised object.
const id = first.data.initiatives.edges[0].node.id;
const node = await other.query({
  query: gql`query One($id: ID!) { node(id: $id) { id ... on Initiative { title } } }`,
  variables: { id },
});
assert.equal(node.data.node.title, first.data.initiatives.edges[0].node.title);
assert.ok(other.cache.identify({ __typename: "Initiative", id }));

// A signed-in caller's answers are never for a shared cache.
const login = await post({
  query: `mutation($input: LoginInput!) { login(input: $input) { token } }`,
  variables: { input: { email, password } },
});
assert.ok(login.data?.login?.token, JSON.stringify(login));
sent.length = 0;
const partner = communsClient(uri, { fetch: recordingFetch, token: login.data.login.token });
await partner.query({ query: PAGE });
assert.ok(sent.length >= 1);
for (const request of sent) {
  assert.equal(request.cacheControl, "private, no-store", JSON.stringify(request));
}

console.log("Apollo Client: persisted queries over GET, pages, 304 and private answers as documented");
