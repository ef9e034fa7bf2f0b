section_16:
  host: {{ grains['id'] }}
  index: 16
  items:
    - item-16-1
    - item-16-2
    - item-16-3
    - item-16-4
    - item-16-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_16: secret-16-value
