// The digest entry point P8 runs in a fresh process: `node dist/cli/digest.js '<campaign
// options as JSON>'` runs the fuzz campaign and prints its digest as one JSON document.
import { CampaignOptions, digestCampaign } from '../properties/digest';
import { CAMPAIGNS } from '../properties/fuzz';
import { tuneV8 } from './v8';

if (require.main === module) {
  tuneV8();
  const o = JSON.parse(process.argv[2] ?? '') as CampaignOptions;
  process.stdout.write(JSON.stringify(digestCampaign(o, CAMPAIGNS)) + '\n');
}
