// Lets the unmodified CommonJS build of guacamole-common-js load as a classic
// script: its last statement is `module.exports = Guacamole;`.
var module = { exports: {} };
