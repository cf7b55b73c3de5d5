// Glue for stock-test.html. Uses only the global `Guacamole` defined by the stock
// guacamole-common-js file. Browser tests drive it through window.stockTest:
//
//   stockTest.connect('token=..&GUAC_ID=..&GUAC_TYPE=c&GUAC_WIDTH=1024&...')
//   stockTest.states        every Guacamole.Client state seen, in order
//   stockTest.errors        [{code, message}] from client.onerror / tunnel.onerror
//   stockTest.pixel(x, y)   [r, g, b, a] from the default layer's canvas
(function () {
  'use strict';

  var stateNames = ['IDLE', 'CONNECTING', 'WAITING', 'CONNECTED', 'DISCONNECTING', 'DISCONNECTED'];
  var output = document.getElementById('state');

  var stockTest = {
    client: null,
    tunnel: null,
    states: [],
    tunnelStates: [],
    errors: [],
    syncs: 0,

    connect: function (data) {
      stockTest.disconnect();
      stockTest.states = [];
      stockTest.tunnelStates = [];
      stockTest.errors = [];
      stockTest.syncs = 0;

      var tunnel = new Guacamole.WebSocketTunnel('websocket-tunnel');
      var client = new Guacamole.Client(tunnel);
      stockTest.tunnel = tunnel;
      stockTest.client = client;

      client.onstatechange = function (state) {
        stockTest.states.push(state);
        output.textContent = stateNames[state] || String(state);
      };
      client.onerror = function (status) {
        stockTest.errors.push({ source: 'client', code: status.code, message: status.message || '' });
      };
      client.onsync = function () {
        stockTest.syncs++;
      };
      tunnel.onerror = function (status) {
        stockTest.errors.push({ source: 'tunnel', code: status.code, message: status.message || '' });
      };
      tunnel.onstatechange = function (state) {
        stockTest.tunnelStates.push(state);
      };

      var container = document.getElementById('display');
      container.textContent = '';
      container.appendChild(client.getDisplay().getElement());

      client.connect(data);
    },

    disconnect: function () {
      if (stockTest.client) stockTest.client.disconnect();
    },

    pixel: function (x, y) {
      var canvas = stockTest.client.getDisplay().getDefaultLayer().getCanvas();
      var d = canvas.getContext('2d').getImageData(x, y, 1, 1).data;
      return [d[0], d[1], d[2], d[3]];
    },

    size: function () {
      var display = stockTest.client.getDisplay();
      return [display.getWidth(), display.getHeight()];
    }
  };

  window.stockTest = stockTest;

  document.getElementById('connect-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var token = document.getElementById('token').value;
    var id = document.getElementById('connection').value;
    stockTest.connect(
      'token=' + encodeURIComponent(token) +
      '&GUAC_ID=' + encodeURIComponent(id) +
      '&GUAC_TYPE=c&GUAC_WIDTH=1024&GUAC_HEIGHT=768&GUAC_DPI=96&GUAC_IMAGE=image/png'
    );
  });
})();
