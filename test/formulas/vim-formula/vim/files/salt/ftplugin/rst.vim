" Use four spaces for indentation
setlocal expandtab
setlocal softtabstop=4
setlocal shiftwidth=4

" Wrap at 80 lines
setlocal textwidth=79
