// Builds window.FrontdeskSettings from the query string, so one page covers many configurations.
window.FrontdeskSettings = Object.fromEntries(new URLSearchParams(location.search));
