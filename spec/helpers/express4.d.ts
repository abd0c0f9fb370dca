// Express 4, installed under the alias express4, has the same API as far as these specs go.
declare module 'express4' {
  import express = require('express');
  export = express;
}
