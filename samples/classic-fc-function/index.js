'use strict';
// An event function written for Function Compute's classic Node.js runtime (runtime: nodejs16, handler:
// index.handler): it prices an order. It runs unchanged in a custom runtime through `fc-runtime start`.
const fs = require('fs');
const path = require('path');

let rates; // tax rates by region, loaded once per instance by the initializer
let priced = 0;

exports.initializer = (context, callback) => {
  fs.readFile(path.join(__dirname, 'rates.json'), 'utf8', (err, text) => {
    if (err) return callback(err);
    rates = JSON.parse(text);
    context.logger.info('loaded tax rates for %d regions', Object.keys(rates).length);
    callback(null, '');
  });
};

exports.handler = (event, context, callback) => {
  let order;
  try {
    order = JSON.parse(event.toString());
  } catch (err) {
    return callback(new Error('The event is not JSON: ' + err.message));
  }
  if (!Array.isArray(order.items) || order.items.length === 0) {
    return callback(new Error('An order needs at least one item'));
  }
  const rate = rates[order.region];
  if (rate === undefined) return callback(new Error('No tax rate for region ' + order.region));

  // Amounts in cents, so that sums are exact.
  const subtotal = order.items.reduce((sum, item) => sum + Math.round(item.price * 100) * item.quantity, 0);
  const tax = Math.round(subtotal * rate);
  priced += 1;
  context.logger.info('priced order %s: %d items', order.orderId, order.items.length);
  callback(null, {
    orderId: order.orderId,
    subtotal: subtotal / 100,
    tax: tax / 100,
    total: (subtotal + tax) / 100,
    pricedBy: context.function.name,
    requestId: context.requestId,
  });
};

exports.preStop = (context, callback) => {
  context.logger.info('stopping after %d orders', priced);
  callback();
};
