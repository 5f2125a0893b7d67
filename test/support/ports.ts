// Free TCP ports for the servers tests start (etcd, sshd). A port the kernel hands out
// for listen(0) comes from the ephemeral range, the same range outgoing connections
// take their source ports from: between our probe and the server's own bind, a client
// connection of a test running beside it may take the port ("address already in use").
// Ports are therefore drawn at random below the ephemeral range (Linux default
// 32768-60999), where no outgoing connection lands, and checked with a real bind.

import { createServer } from 'node:net';

const LOW = 20_000;
const HIGH = 32_000;

export async function findFreePort(ip = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await canListen(ip, port)) return port;
  }
  throw new Error(`no free port found on ${ip} between ${LOW} and ${HIGH}`);
}

function canListen(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, ip, () => server.close(() => resolve(true)));
  });
}
