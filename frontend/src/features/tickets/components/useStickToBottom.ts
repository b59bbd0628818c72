import { useEffect, useLayoutEffect, useRef, type RefObject } from "react";

/** How close to the end still counts as "reading the newest message". */
const NEAR_END_PX = 48;

/**
 * Whether `element` scrolls by itself. On a phone-sized screen the thread is laid out in the page (one scrolling
 * page instead of nested scroll areas, styles.css), so the window scrolls instead.
 */
function scrollsItself(element: HTMLElement): boolean {
  const overflow = getComputedStyle(element).overflowY;
  return overflow === "auto" || overflow === "scroll";
}

function nearEnd(element: HTMLElement): boolean {
  if (scrollsItself(element)) return element.scrollHeight - element.scrollTop - element.clientHeight < NEAR_END_PX;
  const page = document.scrollingElement ?? document.documentElement;
  return page.scrollHeight - window.scrollY - window.innerHeight < NEAR_END_PX;
}

function scrollToEnd(element: HTMLElement): void {
  if (scrollsItself(element)) {
    element.scrollTop = element.scrollHeight;
    return;
  }
  const page = document.scrollingElement ?? document.documentElement;
  window.scrollTo({ top: page.scrollHeight, behavior: "instant" });
}

/**
 * Opens a thread at its newest message, and keeps it there as new ones arrive, unless the reader scrolled up
 * (then new messages do not pull them away from what they are reading). Works whether the thread scrolls by
 * itself (side by side with the queue) or the page does (phones). `change` is what moves when a message arrives.
 */
export function useStickToBottom(scroller: RefObject<HTMLElement | null>, change: unknown): void {
  const atEnd = useRef(true);

  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const onScroll = () => {
      atEnd.current = nearEnd(element);
    };
    element.addEventListener("scroll", onScroll, { passive: true });
    window.addEventListener("scroll", onScroll, { passive: true });
    return () => {
      element.removeEventListener("scroll", onScroll);
      window.removeEventListener("scroll", onScroll);
    };
  }, [scroller]);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element && atEnd.current) scrollToEnd(element);
  }, [scroller, change]);
}
