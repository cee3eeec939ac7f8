// Dark by default; the choice is remembered per browser.
const KEY = 'proxicloud.theme';

class Theme {
  current = $state<'dark' | 'light'>(localStorage.getItem(KEY) === 'light' ? 'light' : 'dark');

  apply(): void {
    document.documentElement.dataset.theme = this.current;
  }

  toggle(): void {
    this.current = this.current === 'dark' ? 'light' : 'dark';
    localStorage.setItem(KEY, this.current);
    this.apply();
  }
}

export const theme = new Theme();
