// An Apollo Client 4 for Communs: automatic persisted queries sent over GET (short URLs
// that HTTP caches keep), the entities normalised by their global `id`, and the
// connections paged with `relayStylePagination`. Node 20 or a browser; needs the npm
// packages `@apollo/client@4`, `graphql@16` and `rxjs@7`.
import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { relayStylePagination } from "@apollo/client/utilities";

// The SHA-256 of the query, in hexadecimal, as the service checks it.
async function sha256(text) {
  const bytes = new TextEncoder().encode(text);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

// The types behind the schema's interface and union, so that fragments on them match.
export const possibleTypes = {
  Node: [
    "ChangeProposal",
    "Experience",
    "Initiative",
    "Meeting",
    "MeetingParticipant",
    "MeetingTopic",
    "ModerationEvent",
    "ModerationItem",
    "Organisation",
    "Position",
    "Professional",
    "Territory",
    "Theme",
    "User",
  ],
  Contribution: ["ChangeProposal", "Experience", "Initiative"],
};

export function communsClient(uri, { fetch = globalThis.fetch, token } = {}) {
  const http = new HttpLink({
    uri,
    fetch,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const persisted = new PersistedQueryLink({ sha256, useGETForHashedQueries: true });
  return new ApolloClient({
    link: persisted.concat(http),
    cache: new InMemoryCache({
      possibleTypes,
      typePolicies: {
        Query: {
          fields: {
            // One list per filter and order; pages of it are merged by cursor.
            initiatives: relayStylePagination(["filter", "orderBy"]),
            organisations: relayStylePagination(["filter"]),
            professionals: relayStylePagination(),
            territories: relayStylePagination(["filter"]),
            meetings: relayStylePagination(),
          },
        },
      },
    }),
  });
}
