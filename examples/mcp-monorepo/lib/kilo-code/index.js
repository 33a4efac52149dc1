// A shared library the MCP servers of this monorepo depend on.
module.exports = { greet: (name) => `hello ${name}` };
