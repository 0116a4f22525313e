/**
 * Cards that break the rules, for the gateway's error paths: garbage answers, error status
 * words, silence, and leaving the field in the middle of the EMV flow.
 */
import { contactlessAtr, storageCardAtr } from '../../gateway/core/identity/atr';
import { emvCard, type EmvCardOptions } from './emv-card';
import { SW, STORAGE_NAME, type VirtualCard } from './virtual-card';
import { cat, hex } from './tlv-build';

/** Deterministic pseudo-random bytes (xorshift32), so a failing run can be replayed. */
function noise(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s & 0xff;
    }
    return out;
  };
}

/**
 * An ISO-DEP card that answers PPSE with a truncated, malformed FCI and 9000, and everything
 * else with noise (ending in 9000 every other time).
 */
export function garbageCard(seed = 7): VirtualCard {
  const rnd = noise(seed);
  let i = 0;
  return {
    label: 'garbage',
    atr: contactlessAtr(hex('8073C821')),
    respond(apdu) {
      if (apdu[1] === 0xa4) return cat(hex('6F 2A 84 0E 32 50 41 59 A5 FF'), SW.ok); // lengths point past the end
      i++;
      const body = rnd(1 + (rnd(1)[0]! % 40));
      return i % 2 ? cat(body, SW.ok) : body;
    },
  };
}

/** A storage card whose reader answers GET DATA with one byte: a short response. */
export function shortAnswerCard(): VirtualCard {
  return { label: 'short-answer', atr: storageCardAtr(STORAGE_NAME.classic1k), respond: () => Uint8Array.from([0x90]) };
}

/** A storage card for which the UID read fails with an error status word. */
export function uidErrorCard(): VirtualCard {
  return { label: 'uid-error', atr: storageCardAtr(STORAGE_NAME.classic4k), respond: () => SW.funcNotSupported };
}

/** A storage card whose Part 3 name we do not read (MIFARE Plus SL1, 00 36). */
export function unsupportedStorageCard(): VirtualCard {
  return { label: 'mifare-plus', atr: storageCardAtr(0x0036), respond: () => cat(hex('04112233445566'), SW.ok) };
}

type EmvBase = Omit<EmvCardOptions, 'label' | 'fault'>;

/** EMV card refusing GPO with 6985 (conditions of use not satisfied). */
export function gpoRefusedCard(base: EmvBase): VirtualCard {
  return emvCard({ ...base, label: 'gpo-refused', fault: { gpo: SW.conditions } });
}

/** EMV card that stops answering at GPO: the reader waits until the card leaves. */
export function silentCard(base: EmvBase): VirtualCard {
  return emvCard({ ...base, label: 'silent', fault: { gpo: 'silent' } });
}

/** EMV card pulled off the reader while the records are being read. */
export function removedMidReadCard(base: EmvBase): VirtualCard {
  return emvCard({ ...base, label: 'removed-mid-read', fault: { record: 'remove' } });
}
