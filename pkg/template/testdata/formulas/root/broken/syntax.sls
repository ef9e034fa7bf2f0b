{% for user in pillar.users %}
{{ user }}:
  user.present
{% endif %}
