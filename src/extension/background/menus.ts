import type { WxtBrowser as Browser } from 'wxt/browser';
import { IMAGE_MENU_ID, type AnalyzeImage } from './image-analysis';
import type { Tabs } from './tabs';

const WEBCAM_MENU_ID = 'faceml-webcam';

/** The user's ways in: context menus, the toolbar button and the keyboard command. */
export function registerMenus(browser: Browser, tabs: Pick<Tabs, 'toggle'>, analyzeImage: AnalyzeImage): void {
  // MV2 (Firefox) names the toolbar button browserAction and its menu context browser_action.
  const action = browser.action ?? (browser as unknown as { browserAction: typeof browser.action }).browserAction;
  const actionMenuContext = browser.action ? 'action' : 'browser_action';
  const toggle = (tabId: number) => tabs.toggle(tabId).catch((err) => console.error('faceml: toggle failed', err));

  browser.runtime.onInstalled.addListener(() => {
    browser.contextMenus.create({ id: IMAGE_MENU_ID, title: 'Analyze emotions in this image', contexts: ['image'] });
    browser.contextMenus.create({ id: WEBCAM_MENU_ID, title: 'Analyze my webcam', contexts: [actionMenuContext as 'action'] });
  });
  browser.contextMenus.onClicked.addListener((info, tab) => {
    if (info.menuItemId === IMAGE_MENU_ID) {
      analyzeImage(info, tab).catch((err) => console.error('faceml: image analysis failed', err));
    } else if (info.menuItemId === WEBCAM_MENU_ID) {
      void browser.tabs.create({ url: browser.runtime.getURL('/webcam.html' as never) });
    }
  });
  action.onClicked.addListener((tab) => {
    if (tab.id !== undefined) void toggle(tab.id);
  });
  browser.commands?.onCommand.addListener((command, tab) => {
    if (command === 'toggle-detection' && tab?.id !== undefined) void toggle(tab.id);
  });
}
