import { browser } from 'wxt/browser';
import { startEngine } from '../../src/extension/engine';

startEngine(browser);
