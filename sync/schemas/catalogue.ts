/**
 * Every event type any producer registers, in one import. Producers register their events
 * next to their code (gateway/app/*-events.ts); HQ ingest and the AsyncAPI document need all
 * of them even in a process that runs no producer, so they import this module.
 */
import './events';
import '../../gateway/app/loyalty/program-events';
import '../../gateway/app/offers/offers-events';
import '../../gateway/app/presence/presence-events';
import '../../gateway/app/cards/card-events';
import '../../gateway/app/till/till-events';

export { eventTypes, eventDefinition } from './events';
