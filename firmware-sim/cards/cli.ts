/**
 * Tap a virtual card on a vpcd reader by hand:
 *   tsx firmware-sim/cards/cli.ts list
 *   tsx firmware-sim/cards/cli.ts tap <card> [--reader 0|1] [--hold ms]
 * Needs pcscd running with vsmartcard-vpcd (test/support/pcscd.ts starts one for tests).
 */
import { CARDS, isCardName } from './catalogue';
import { tapCard, vpcdReaderName } from './vpcd';

async function main(argv: string[]): Promise<number> {
  const [cmd, name, ...rest] = argv;
  if (cmd === 'list' || cmd === undefined) {
    console.log(Object.keys(CARDS).join('\n'));
    return 0;
  }
  if (cmd !== 'tap' || !name) {
    console.error('usage: cli.ts list | tap <card> [--reader 0|1] [--hold ms]');
    return 2;
  }
  if (!isCardName(name)) {
    console.error(`unknown card "${name}"; known: ${Object.keys(CARDS).join(', ')}`);
    return 2;
  }
  const opt = (flag: string, dflt: number) => {
    const i = rest.indexOf(flag);
    const v = i >= 0 ? Number(rest[i + 1]) : dflt;
    if (!Number.isInteger(v) || v < 0) throw new Error(`${flag} needs a whole number`);
    return v;
  };
  const reader = opt('--reader', 0);
  const hold = opt('--hold', 1500);
  const tapped = await tapCard(CARDS[name](), { reader });
  console.log(`${name} on "${vpcdReaderName(reader)}" for ${hold} ms`);
  await Promise.race([new Promise((r) => setTimeout(r, hold)), tapped.gone]);
  await tapped.remove();
  console.log(`removed after ${tapped.apdus} APDUs`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(e.message);
    process.exit(1);
  },
);
