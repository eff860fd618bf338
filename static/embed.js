// Embed snippet for a company's own site:
//   <script src="https://helpdesk.example.com/static/embed.js" data-inbox="support" data-identity="TOKEN" defer></script>
// Adds a chat button that opens the hosted page in a frame; data-identity (optional) is a verified-identity
// token minted by the company's backend so a signed-in customer continues on any device.
(function () {
  var script = document.currentScript;
  if (!script || !script.dataset.inbox) return;
  var origin = new URL(script.src).origin;
  var params = new URLSearchParams({ embed: "1", page_url: location.href, referrer: document.referrer || "" });
  if (script.dataset.identity) params.set("identity", script.dataset.identity);
  var src = origin + "/chat/" + encodeURIComponent(script.dataset.inbox) + "/?" + params.toString();

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = script.dataset.label || "Chat with us";
  button.setAttribute("aria-expanded", "false");
  button.style.cssText =
    "position:fixed;right:20px;bottom:20px;z-index:2147483000;padding:12px 18px;border:0;border-radius:24px;" +
    "background:" + (script.dataset.color || "#2563eb") + ";color:#fff;font:inherit;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)";
  var frame = null;
  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = src;
      frame.title = "Chat";
      frame.style.cssText =
        "position:fixed;right:20px;bottom:76px;z-index:2147483000;width:min(380px,calc(100vw - 40px));" +
        "height:min(600px,calc(100vh - 100px));border:0;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);background:#fff";
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    button.setAttribute("aria-expanded", String(!frame.hidden));
  });
  document.body.appendChild(button);
})();
