import type { WxtBrowser as Browser } from 'wxt/browser';

/** Opens the side panel (Chrome) or sidebar (Firefox). Must run in a user gesture. */
export async function openSidePanel(browser: Browser, windowId: number): Promise<void> {
  const chromePanel = (browser as unknown as { sidePanel?: { open(o: { windowId: number }): Promise<void> } }).sidePanel;
  if (chromePanel) return chromePanel.open({ windowId });
  const sidebar = (browser as unknown as { sidebarAction?: { open(): Promise<void> } }).sidebarAction;
  if (sidebar) return sidebar.open();
  throw new Error('this browser has no side panel');
}
