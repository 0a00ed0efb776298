// What react-dsfr's main.css imports, in its order, imported one by one so that the icon sheet
// goes through the build's filter (web/only-used-icons.ts): an @import would bypass it.
import '@codegouvfr/react-dsfr/dsfr/utility/icons/icons.min.css';
import '@codegouvfr/react-dsfr/dsfr/dsfr.min.css';
import './app/app.css';
import { startReactDsfr } from '@codegouvfr/react-dsfr/spa';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Link } from 'react-router';
import { App } from './app/App.tsx';

declare module '@codegouvfr/react-dsfr/spa' {
  interface RegisterLink {
    Link: typeof Link;
  }
}

startReactDsfr({ defaultColorScheme: 'light', Link });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter>
      <App />
    </BrowserRouter>
  </StrictMode>,
);
