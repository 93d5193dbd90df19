// Preloaded into the cache-tests server (node --import): its server listens on every address
// (`server.listen(port)`); this makes a bare port mean 127.0.0.1:port, so the bench stays on
// loopback.
import net from 'node:net'
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    const port = Number(args.shift())
    return listen.call(this, port, '127.0.0.1', ...args)
  }
  return listen.apply(this, args)
}
