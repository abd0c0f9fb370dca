// The driver's window into a variant server (over the IPC channel, when there is one): CPU time and heap.
'use strict';

if (typeof process.send === 'function') {
  let mark = process.cpuUsage();
  process.on('message', (message) => {
    switch (message.type) {
      case 'reset':
        mark = process.cpuUsage();
        return process.send({ type: 'reset' });
      case 'read': {
        const used = process.cpuUsage(mark);
        return process.send({ type: 'read', user: used.user, system: used.system });
      }
      case 'heap':
        // Twice: the first pass can leave garbage that only weak callbacks or finalizers freed.
        global.gc();
        global.gc();
        return process.send({ type: 'heap', heapUsed: process.memoryUsage().heapUsed });
    }
  });
}
