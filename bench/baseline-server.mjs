// The physical limit we measure against: a bare node:http server that parses a small JSON
// POST and answers a fixed body. Run as its own process, like the product.
import http from 'node:http';

const body = JSON.stringify({ status: 200, message: 'OK' });
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      if (chunks.length) JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      // answered the same either way
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
