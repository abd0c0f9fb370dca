// `node -r express-fc-runtime/register server.js`: serves an unchanged app to FC. Like the CLI's main,
// this preload is an entry point: a problem with the options ends here in one line and exit 1.
import { loadOptions } from './config';
import { takeOver } from './takeover';
import { exitWithError as fail } from './user-error';

try {
  takeOver(loadOptions(process.argv[1], process.env)).listening.catch(fail);
} catch (error) {
  fail(error);
}
