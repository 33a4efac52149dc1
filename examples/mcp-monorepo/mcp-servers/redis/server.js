// A minimal MCP server stand-in: answers /health so a healthcheck has something to probe.
const http = require("http");
http
  .createServer((req, res) => {
    res.writeHead(req.url === "/health" ? 200 : 404);
    res.end();
  })
  .listen(3000);
