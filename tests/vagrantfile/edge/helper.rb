# A helper file in the shape of Homestead's: config is a method parameter, not a block variable.
class Project
  def self.configure(config, settings)
    hosts = []
    hosts.push(settings["name"])
    Rails.cache.clear if defined?(Rails)
    config.vm.hostname = settings["name"]
    settings["folders"].each do |folder|
      config.vm.synced_folder folder["map"], folder["to"], type: folder["type"], **(folder["options"] || {})
    end
  end
end
