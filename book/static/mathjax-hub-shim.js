// ipywidgets' HTML manager typesets widget labels with MathJax 2's `MathJax.Hub.Queue`,
// but the book loads MathJax 3, whose global object has no `Hub`. This shim maps the
// call onto MathJax 3's `typesetPromise`, so widget pages raise no JavaScript error.
(function () {
  function hub() {
    return {
      Queue: function (cmd) {
        var el = Array.isArray(cmd) ? cmd[2] : undefined;
        var mj = window.MathJax;
        if (mj && typeof mj.typesetPromise === "function") {
          mj.typesetPromise(el ? [el] : undefined).catch(function () {});
        }
      },
    };
  }
  function patch() {
    if (window.MathJax && !window.MathJax.Hub) {
      window.MathJax.Hub = hub();
    }
  }
  patch();
  document.addEventListener("DOMContentLoaded", patch);
  window.addEventListener("load", patch, true);
})();
