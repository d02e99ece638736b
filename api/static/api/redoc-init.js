"use strict";
// Starts ReDoc on the schema named by this script's data-schema-url (an inline start script
// would break the Content-Security-Policy).
(function () {
  const script = document.currentScript;
  Redoc.init(script.dataset.schemaUrl, {}, document.getElementById("redoc-container"));
})();
