// Aftersales portal: a form is sent once, even when the button is tapped twice on a slow network.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "1";
  form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
    button.disabled = true;
  });
});

// Coming back to the page (the browser's back button) makes its forms usable again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-sending]").forEach(function (form) {
    delete form.dataset.sending;
    form.querySelectorAll("button[disabled]").forEach(function (button) {
      button.disabled = false;
    });
  });
});
