/*
 * Starts GraphiQL on the page app/templates/graphiql.html renders. Derived
 * from strawberry-graphql's GraphiQL page (MIT licence, copyright (c) 2018
 * Patrick Arminio); the notice is in app/templates/graphiql.html.
 *
 * A file rather than an inline script, so the page's content security
 * policy can be script-src 'self' with nothing inline.
 */
"use strict";

(function () {
  const DEFAULT_QUERY = document.getElementById("graphiql-default-query")
    .textContent.replace(/^\n/, "");

  // ?query=...&variables=... in the address bar, so a query can be shared
  // as a link. Headers are never put in the address.
  const parameters = new URLSearchParams(window.location.search);

  function updateURL(name, value) {
    if (value) {
      parameters.set(name, value);
    } else {
      parameters.delete(name);
    }
    const search = parameters.toString();
    history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  const fetcher = GraphiQL.createFetcher({
    url: window.location.origin + window.location.pathname,
  });

  function ContactsGraphiQL() {
    const [query, setQuery] = React.useState(
      parameters.get("query") || DEFAULT_QUERY,
    );
    const [variables, setVariables] = React.useState(
      parameters.get("variables") || undefined,
    );

    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      query: query,
      variables: variables,
      onEditQuery: function (value) {
        setQuery(value);
        updateURL("query", value === DEFAULT_QUERY ? "" : value);
      },
      onEditVariables: function (value) {
        setVariables(value);
        updateURL("variables", value);
      },
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      // Tokens stay in this tab: nothing in the headers pane is written to
      // localStorage.
      shouldPersistHeaders: false,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(ContactsGraphiQL),
  );
})();
