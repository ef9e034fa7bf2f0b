base:
  '*':
    - nginx
    - users
    - sysctl
