base:
  '*':
    - app
    - app.service
    - monitoring
    - cleanup
